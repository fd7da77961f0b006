/** Values a returnBody/callbackBody/saveKey template may reference as `$(name)` or `${name}`. */
export type TemplateVars = Record<string, string | number | undefined>;

export type TemplateEscape = 'json' | 'form' | 'none';

function escapeValue(value: string | number | undefined, escape: TemplateEscape): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  if (escape === 'json') return JSON.stringify(value).slice(1, -1);
  if (escape === 'form') return encodeURIComponent(value);
  return value;
}

export function renderTemplate(template: string, vars: TemplateVars, escape: TemplateEscape): string {
  return template.replace(/\$\(([^)]+)\)|\$\{([^}]+)\}/g, (_m, a: string | undefined, b: string | undefined) =>
    escapeValue(vars[(a ?? b ?? '').trim()], escape),
  );
}
