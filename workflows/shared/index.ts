/**
 * The shared boundary of the workflows: names, inputs/results, signal/query definitions, error
 * types, presets and search attributes. Pure; safe in the sandbox, the worker and clients.
 */
export * from './constants';
export * from './definitions';
export * from './errors';
export * from './input-schema';
export * from './presets';
export * from './run-inputs';
export * from './search-attributes';
export * from './types';
