// The shipped nginx logs every request: its access log must not keep the secrets some URLs carry.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('deploy/nginx.conf access log', () => {
  it('leaves out query strings: a reset link carries its token in one (/reset-password?token=…)', () => {
    const config = readFileSync(path.join(root, 'deploy/nginx.conf'), 'utf8');
    const format = /log_format plaza ([^;]*);/.exec(config)?.[1];
    expect(format).toBeDefined();
    const variables = [...format!.matchAll(/\$([a-z0-9_]+)/g)].map((m) => m[1]!);
    expect(variables).toContain('uri');
    for (const withQuery of ['request', 'request_uri', 'args', 'query_string', 'http_referer'])
      expect(variables).not.toContain(withQuery);
    expect(variables.filter((v) => v.startsWith('arg_'))).toEqual([]);
  });
});
