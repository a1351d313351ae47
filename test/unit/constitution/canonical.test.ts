import fc from 'fast-check';
import { canonicalHash, canonicalize } from '../../../constitution';

describe('canonicalize', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalize({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('writes numbers in shortest ECMAScript form', () => {
    expect(canonicalize([1.0, 0.1, 1e21, -0, 1e-7])).toBe('[1,0.1,1e+21,0,1e-7]');
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalize({ x: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalize({ x: 1n })).toThrow(TypeError);
  });

  it('is independent of key order and round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value);
        expect(canonicalize(JSON.parse(text))).toBe(text);
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
          const reversed = Object.fromEntries(Object.entries(value).reverse());
          expect(canonicalHash(reversed)).toBe(canonicalHash(value));
        }
      }),
    );
  });
});
