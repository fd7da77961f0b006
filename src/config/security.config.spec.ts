import { parseOrigins, securityConfig } from './security.config';

const NAMES = ['NODE_ENV', 'SWAGGER_ENABLED', 'CORS_ORIGINS'];

/** The namespace as it reads these variables (the others as they are). */
function withEnv(env: Record<string, string>): ReturnType<typeof securityConfig> {
  const saved = NAMES.map((name) => [name, process.env[name]] as const);
  try {
    for (const name of NAMES) delete process.env[name];
    Object.assign(process.env, env);
    return securityConfig();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('securityConfig', () => {
  it('serves Swagger outside production, and in production only with SWAGGER_ENABLED=true', () => {
    expect(withEnv({}).swaggerEnabled).toBe(true);
    expect(withEnv({ NODE_ENV: 'test' }).swaggerEnabled).toBe(true);
    expect(withEnv({ NODE_ENV: 'production' }).swaggerEnabled).toBe(false);
    expect(withEnv({ NODE_ENV: 'production', SWAGGER_ENABLED: 'true' }).swaggerEnabled).toBe(true);
    expect(withEnv({ NODE_ENV: 'development', SWAGGER_ENABLED: 'false' }).swaggerEnabled).toBe(false);
  });

  it('reads CORS_ORIGINS as a list of origins, none when unset or empty', () => {
    expect(parseOrigins(undefined)).toEqual([]);
    expect(parseOrigins('')).toEqual([]);
    expect(parseOrigins(' https://app.example.com/, http://localhost:5173 ')).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(withEnv({ CORS_ORIGINS: 'https://a.example' }).corsOrigins).toEqual(['https://a.example']);
  });
});
