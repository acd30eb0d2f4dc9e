import { decodeConfig } from '@latchkey/app';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';

const problems = (env: Record<string, string>): string[] => {
  const decoded = decodeConfig(env);
  return E.isLeft(decoded) ? decoded.left : [];
};

describe('configuration from LATCHKEY_* variables (docs/http-api.md#configuration)', () => {
  it('has the documented defaults', () => {
    const decoded = decodeConfig({});
    expect(E.isRight(decoded)).to.equal(true);
    if (E.isLeft(decoded)) return;
    expect(decoded.right).to.include({
      issuer: 'http://localhost:8080',
      httpHost: '127.0.0.1',
      httpPort: 8080,
      storage: 'postgres',
      dataDir: './.latchkey',
      sessionTtlSeconds: 86_400,
      codeTtlSeconds: 60,
      accessTokenTtlSeconds: 3600,
      refreshReuseGraceSeconds: 30,
      rateLimitLogin: 10,
      rateLimitToken: 600,
      rateLimitRegister: 30,
      trustProxy: 0,
      dcrEnabled: true,
      embeddedSharedBuffersMb: 16,
      embeddedWasmTierUp: false,
    });
    expect(decoded.right.defaultScope).to.deep.equal(['mcp', 'user:read']);
  });

  it('reads durations with units', () => {
    const decoded = decodeConfig({
      LATCHKEY_SESSION_TTL: '2h',
      LATCHKEY_CODE_TTL: '90',
      LATCHKEY_GRANT_MAX_TTL: '7d',
    });
    expect(E.isRight(decoded) && decoded.right).to.include({
      sessionTtlSeconds: 7200,
      codeTtlSeconds: 90,
      grantMaxTtlSeconds: 604_800,
    });
  });

  it('strips a trailing slash from the public URL', () => {
    const decoded = decodeConfig({ LATCHKEY_PUBLIC_URL: 'https://auth.example.com/' });
    expect(E.isRight(decoded) && decoded.right.issuer).to.equal('https://auth.example.com');
  });

  const refusals: [string, string][] = [
    ['LATCHKEY_PUBLIC_URL', 'http://auth.example.com'],
    ['LATCHKEY_PUBLIC_URL', 'https://auth.example.com/path'],
    ['LATCHKEY_PUBLIC_URL', 'https://auth.example.com/?q=1'],
    ['LATCHKEY_PUBLIC_URL', 'not a url'],
    ['LATCHKEY_HTTP_ADDRESS', 'localhost'],
    ['LATCHKEY_METRICS_ADDRESS', 'localhost'],
    ['LATCHKEY_METRICS_ADDRESS', '127.0.0.1:65536'],
    ['LATCHKEY_METRICS_ADDRESS', 'http://127.0.0.1:9464'],
    ['LATCHKEY_METRICS_ADDRESS', '127.0.0.1:8080'],
    ['LATCHKEY_STORAGE', 'sqlite'],
    ['LATCHKEY_DATABASE_URL', 'mysql://x'],
    ['LATCHKEY_SESSION_TTL', '1 week'],
    ['LATCHKEY_CODE_TTL', '11m'],
    ['LATCHKEY_RATE_LIMIT_LOGIN', '-1'],
    ['LATCHKEY_TRUST_PROXY', 'yes'],
    ['LATCHKEY_DCR_ENABLED', 'maybe'],
    ['LATCHKEY_LOG_LEVEL', 'loud'],
    ['LATCHKEY_DCR_SCOPES', 'mcp all'],
    ['LATCHKEY_DEFAULT_SCOPE', 'nonsense'],
    ['LATCHKEY_ALLOWED_RESOURCES', 'not-a-url'],
    ['LATCHKEY_SETUP_TOKEN', 'short'],
    ['LATCHKEY_SCRYPT_LOG_N', '4'],
    ['LATCHKEY_EMBEDDED_SHARED_BUFFERS', '0'],
    ['LATCHKEY_EMBEDDED_SHARED_BUFFERS', '16MB'],
    ['LATCHKEY_EMBEDDED_SHARED_BUFFERS', '2048'],
    ['LATCHKEY_EMBEDDED_WASM_TIER_UP', 'fast'],
    ['LATCHKEY_CIMD_ENABLED', 'sometimes'],
    ['LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS', 'maybe'],
    ['LATCHKEY_CIMD_TRUSTED_DOMAINS', 'https://example.com'],
    ['LATCHKEY_CIMD_TRUSTED_DOMAINS', 'exa mple..com'],
    ['LATCHKEY_CIMD_BLOCKED', 'http://example.com/client.json'],
    ['LATCHKEY_CIMD_BLOCKED', 'https://example.com/'],
  ];
  for (const [name, value] of refusals) {
    it(`refuses ${name}=${value} with a message naming the variable`, () => {
      const found = problems({ [name]: value });
      expect(found).to.have.length(1);
      expect(found[0]?.startsWith(`${name} `)).to.equal(true);
    });
  }

  it('has metadata documents on, public addresses only, nothing trusted or blocked by default', () => {
    const decoded = decodeConfig({});
    expect(E.isRight(decoded) && decoded.right).to.deep.include({
      cimdEnabled: true,
      cimdAllowPrivateHosts: false,
      cimdTrustedDomains: [],
      cimdBlocked: [],
    });
  });

  it('reads the metadata document settings (docs/http-api.md#client-id-metadata-documents)', () => {
    const decoded = decodeConfig({
      LATCHKEY_CIMD_ENABLED: 'false',
      LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS: 'true',
      LATCHKEY_CIMD_TRUSTED_DOMAINS: 'Example.com, tools.example.org',
      LATCHKEY_CIMD_BLOCKED: 'evil.example https://app.example.com/Client.json',
    });
    expect(E.isRight(decoded) && decoded.right).to.deep.include({
      cimdEnabled: false,
      cimdAllowPrivateHosts: true,
      cimdTrustedDomains: ['example.com', 'tools.example.org'],
      cimdBlocked: ['evil.example', 'https://app.example.com/Client.json'],
    });
  });

  it('accepts extra scopes in the DCR set once they are declared', () => {
    expect(
      problems({ LATCHKEY_EXTRA_SCOPES: 'reports:read', LATCHKEY_DCR_SCOPES: 'mcp reports:read' }),
    ).to.deep.equal([]);
  });

  it('serves no metrics unless LATCHKEY_METRICS_ADDRESS is set', () => {
    const decoded = decodeConfig({});
    expect(E.isRight(decoded) && decoded.right.metricsAddress).to.equal(undefined);
  });

  for (const [value, host, port] of [
    ['127.0.0.1:9464', '127.0.0.1', 9464],
    ['[::1]:9464', '::1', 9464],
    ['0.0.0.0:9100', '0.0.0.0', 9100],
  ] as const) {
    it(`reads LATCHKEY_METRICS_ADDRESS=${value} as host ${host}, port ${port}`, () => {
      const decoded = decodeConfig({ LATCHKEY_METRICS_ADDRESS: value });
      expect(E.isRight(decoded) && decoded.right.metricsAddress).to.deep.equal({ host, port });
    });
  }

  it('refuses a metrics address that is the HTTP address, or overlaps it through a wildcard', () => {
    for (const [http, metrics] of [
      ['127.0.0.1:9000', '127.0.0.1:9000'],
      ['0.0.0.0:9000', '127.0.0.1:9000'],
      ['[::1]:9000', '[::]:9000'],
    ]) {
      const found = problems({ LATCHKEY_HTTP_ADDRESS: http ?? '', LATCHKEY_METRICS_ADDRESS: metrics ?? '' });
      expect(found, `${http} and ${metrics}`).to.have.length(1);
      expect(found[0]?.startsWith('LATCHKEY_METRICS_ADDRESS ')).to.equal(true);
    }
    expect(
      problems({ LATCHKEY_HTTP_ADDRESS: '127.0.0.1:9000', LATCHKEY_METRICS_ADDRESS: '127.0.0.1:9001' }),
    ).to.deep.equal([]);
  });

  it('treats an empty value as unset', () => {
    expect(problems({ LATCHKEY_PUBLIC_URL: '', LATCHKEY_STORAGE: ' ' })).to.deep.equal([]);
  });
});
