import { compileRule, RuleCompileError, runRule } from '../../../constitution';
import { descriptor } from '../../fixtures/constitution/descriptors';

describe('CEL rules', () => {
  it('see every descriptor field as a variable', () => {
    const x = descriptor({
      tool: { id: 'http.request', risk: 'high', category: 'network' },
      args: { digest: 'd', pii: ['iban'], piiCount: 2, hosts: ['api.example.com'], write: true },
      budget: { spentUsd: 7.5, limitUsd: 10 },
      taint: ['financial'],
      denials: { recent: 1, window: 4 },
      trainingMode: true,
    });
    const fired = (expr: string) => runRule(compileRule(expr), x);
    expect(fired('activityType == "runTool" && tenant == "tenant-a"')).toEqual({ fired: true });
    expect(fired('tool.risk == "high" && tool.category == "network"')).toEqual({ fired: true });
    expect(fired('"iban" in args.pii && args.piiCount >= 2 && args.write')).toEqual({ fired: true });
    expect(fired('budget.spentUsd / budget.limitUsd > 0.7')).toEqual({ fired: true });
    expect(fired('"financial" in taint && denials.recent < denials.window && trainingMode')).toEqual({
      fired: true,
    });
    expect(fired('persona.trust >= 1.0 && capsule.id == "capsule-1"')).toEqual({ fired: true });
    expect(fired('size(args.hosts) == 0')).toEqual({ fired: false });
  });

  it('offer hostIn() with the same wildcard semantics as the egress feature', () => {
    const x = descriptor({
      args: { digest: 'd', pii: [], piiCount: 0, hosts: ['a.corp.example', 'evil.test'], write: false },
    });
    expect(runRule(compileRule('args.hosts.all(h, hostIn(h, ["*.corp.example"]))'), x).fired).toBe(false);
    expect(runRule(compileRule('args.hosts.exists(h, !hostIn(h, ["*.corp.example"]))'), x).fired).toBe(true);
  });

  it('compile once per expression text', () => {
    expect(compileRule('trainingMode')).toBe(compileRule('trainingMode'));
  });

  it('reject syntax errors, unknown variables and non-bool results at compile time', () => {
    expect(() => compileRule('tool.id ==')).toThrow(RuleCompileError);
    expect(() => compileRule('user.admin')).toThrow(/user/);
    expect(() => compileRule('budget.spentUsd + 1.0')).toThrow(/bool/);
  });
});
