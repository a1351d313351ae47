import type { ConstitutionDocument } from '../schema';
import document from './constitution.json';

/**
 * The constitution shipped with SomaGent (unsigned). Services sign it with a locally generated
 * development key at first start; production publishes its own signed versions.
 */
export const DEFAULT_CONSTITUTION: ConstitutionDocument = document as ConstitutionDocument;
