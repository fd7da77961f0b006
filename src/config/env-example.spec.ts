import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationVariables } from './env.validation';

const root = join(__dirname, '../..');

/** `NAME=` lines of .env.example, commented out or not. */
function exampleVariables(): string[] {
  const text = readFileSync(join(root, '.env.example'), 'utf8');
  return [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
}

/** Variables named in the first column of README's configuration tables. */
function readmeVariables(): string[] {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const section = text.slice(text.indexOf('## Configuration'), text.indexOf('\n## ', text.indexOf('## Configuration') + 1));
  return [...section.matchAll(/^\| ([^|]+)\|/gm)].flatMap((row) => [...row[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]));
}

const sorted = (names: string[]) => [...new Set(names)].sort();

describe('the documented configuration', () => {
  it('.env.example lists exactly the variables the schema validates', () => {
    expect(sorted(exampleVariables())).toEqual(sorted(configurationVariables()));
  });

  it("README's configuration tables list exactly the variables the schema validates", () => {
    expect(sorted(readmeVariables())).toEqual(sorted(configurationVariables()));
  });
});
