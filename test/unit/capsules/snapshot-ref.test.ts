import { formatSnapshotRef, parseSnapshotRef, snapshotRefProblem } from '../../../capsules/snapshot-ref';

describe('memory snapshot references', () => {
  it.each([
    [
      'snapshot://analytics/kpi-definitions@2026-11-01',
      { name: 'analytics/kpi-definitions', version: '2026-11-01' },
    ],
    ['snapshot://design/design-system@latest', { name: 'design/design-system', version: 'latest' }],
    ['snapshot://team/kpis', { name: 'team/kpis', version: 'latest' }],
    ['snapshot://notes@1.2.0', { name: 'notes', version: '1.2.0' }],
  ])('parses %s', (ref, expected) => {
    expect(parseSnapshotRef(ref)).toEqual(expected);
    expect(formatSnapshotRef(expected)).toBe(ref.includes('@') ? ref : `${ref}@latest`);
  });

  it.each([
    ['s3://bucket/kpis@1', 'memory scheme "s3" is not supported; use snapshot://<name>@<version>'],
    ['kpis', 'expected snapshot://<name>@<version>, got "kpis"'],
    ['snapshot://Team/KPIs@1', 'snapshot name "Team/KPIs" must be lower-case segments'],
    ['snapshot://team//kpis@1', 'snapshot name "team//kpis" must be lower-case segments'],
    ['snapshot://team/kpis@', 'snapshot version "" must be a label'],
    ['snapshot://@1', 'snapshot name "" must be lower-case segments'],
  ])('rejects %s, saying why', (ref, problem) => {
    expect(snapshotRefProblem(ref)).toContain(problem);
  });
});
