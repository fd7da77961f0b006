import { jsonNestedDeeperThan } from './json-depth';

const text = (value: string) => Buffer.from(value);

describe(jsonNestedDeeperThan.name, () => {
  it('counts nested arrays and objects', () => {
    expect(jsonNestedDeeperThan(text('[[[1]]]'), 3)).toBe(false);
    expect(jsonNestedDeeperThan(text('[[[[1]]]]'), 3)).toBe(true);
    expect(jsonNestedDeeperThan(text('{"a":{"b":[{"c":1}]}}'), 4)).toBe(false);
    expect(jsonNestedDeeperThan(text('{"a":{"b":[{"c":[1]}]}}'), 4)).toBe(true);
  });

  it('measures depth, not the number of brackets', () => {
    expect(jsonNestedDeeperThan(text(JSON.stringify(Array.from({ length: 1000 }, () => [{ a: [1] }]))), 4)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonNestedDeeperThan(text(JSON.stringify({ a: '[[[[[[{{{{{', b: 'say \\"[[[[[\\" twice' })), 2)).toBe(false);
    expect(jsonNestedDeeperThan(text('["\\"", [[[1]]]]'), 3)).toBe(true);
  });

  it('takes 100 KB of nested brackets in one pass', () => {
    expect(jsonNestedDeeperThan(text('['.repeat(50_000) + ']'.repeat(50_000)), 32)).toBe(true);
  });
});
