import { isTainted, mergeTaint, normalizeTaintLabel, taintFromResults } from '../../../workflows/taint';

describe('taint', () => {
  it('merges label sets into one sorted, unique, normalized list', () => {
    expect(mergeTaint(['secret', 'PII '], undefined, ['pii', 'financial'], [])).toEqual([
      'financial',
      'pii',
      'secret',
    ]);
    expect(mergeTaint()).toEqual([]);
  });

  it('drops labels that are not valid names', () => {
    expect(normalizeTaintLabel(' Health ')).toBe('health');
    expect(normalizeTaintLabel('has space')).toBeUndefined();
    expect(normalizeTaintLabel('')).toBeUndefined();
    expect(mergeTaint(['pii', 'bad label', '-x', 'eu.gdpr'])).toEqual(['eu.gdpr', 'pii']);
  });

  it('accumulates the declared data classes of results and never loses a label', () => {
    const after = taintFromResults(
      ['secret'],
      [{ dataClasses: ['pii'] }, {}, { dataClasses: ['financial', 'pii'] }],
    );
    expect(after).toEqual(['financial', 'pii', 'secret']);
    expect(taintFromResults(after, [])).toEqual(after);
    expect(isTainted(after, 'health', 'pii')).toBe(true);
    expect(isTainted(after, 'health')).toBe(false);
  });
});
