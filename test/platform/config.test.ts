import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { runToExit } from '../helpers/processes.ts';

describe('configuration', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.publicUrl.href).toBe('http://localhost:3000/');
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/plaza');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.reminderLeadMinutes).toBe(60);
    expect(config.eventLogRetentionHours).toBe(24);
    expect(config.currency).toBe('EUR');
    expect(config.trustProxy).toBe(false);
    expect(config.smtpUrl).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes `embedded` for DATABASE_URL and REDIS_URL from `npm start` only, and says so to the others', () => {
    const embedded = { DATABASE_URL: 'embedded', REDIS_URL: 'embedded', DATA_DIR: 'var/plaza' };
    const config = loadConfig(embedded, { allowEmbedded: true });
    expect(config).toMatchObject({ databaseSource: 'embedded', redisSource: 'embedded' });
    expect(config.dataDir).toBe(path.resolve('var/plaza'));
    expect(loadConfig({})).toMatchObject({ databaseSource: 'unset', redisSource: 'unset' });
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379' }).redisSource).toBe('set');
    expect(loadConfig({}).dataDir).toBe(path.resolve('data'));

    let error: unknown;
    try {
      loadConfig(embedded);
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems).toEqual([
      'DATABASE_URL: `embedded` is run by `npm start` (which passes the resulting URL on); a server or workers process needs a URL',
      'REDIS_URL: `embedded` is run by `npm start` (which passes the resulting URL on); a server or workers process needs a URL',
    ]);
  });

  it('names every invalid variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://nope', CURRENCY: 'euro', TRUST_PROXY: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'REDIS_URL', 'CURRENCY', 'TRUST_PROXY']) expect(message).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('requires the secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CAPTCHA_HMAC_KEY/);
    expect(
      loadConfig({
        NODE_ENV: 'production',
        CAPTCHA_HMAC_KEY: 'a-long-enough-production-secret-of-48-characters',
        SMTP_URL: 'smtp://mail.example.test:587',
      }).captchaHmacKey,
    ).toBe('a-long-enough-production-secret-of-48-characters');
  });

  it('refuses production without SMTP_URL: codes and reset links must not go to the log', async () => {
    const production = {
      NODE_ENV: 'production',
      CAPTCHA_HMAC_KEY: 'a-long-enough-production-secret-of-48-characters',
    };
    expect(() => loadConfig(production)).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CAPTCHA_HMAC_KEY[\s\S]*SMTP_URL/);
    const result = await runToExit('workers/main.ts', production);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SMTP_URL');
  });

  describe('published placeholders are refused in production', () => {
    const production = {
      NODE_ENV: 'production',
      CAPTCHA_HMAC_KEY: 'a-long-enough-production-secret-of-48-characters',
      SMTP_URL: 'smtp://mail.example.test:587',
    };
    const k8s = (
      parse(readFileSync('deploy/k8s/secret.example.yaml', 'utf8')) as {
        stringData: Record<string, string>;
      }
    ).stringData;
    const envExample = Object.fromEntries(
      [...readFileSync('.env.example', 'utf8').matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
    );

    it.each([
      ['the development key', 'plaza-dev-captcha-key-not-for-production'],
      ["compose.yaml's old default", 'local-compose-key-change-me-0123456789'],
      ["deploy/k8s/secret.example.yaml's", k8s.CAPTCHA_HMAC_KEY!],
      ['a key shorter than 32 bytes', 'x7#Qm2!vR9@kL4$wP8^nT1&zB6*dF3'],
      ['a change-me spelling', 'Change_Me-please-0123456789abcdefghijklmnop'],
    ])('CAPTCHA_HMAC_KEY: %s', (_what, key) => {
      expect(() => loadConfig({ ...production, CAPTCHA_HMAC_KEY: key })).toThrow(/CAPTCHA_HMAC_KEY/);
      // Anywhere else the same key is accepted: development and tests need no secret.
      expect(() => loadConfig({ CAPTCHA_HMAC_KEY: key })).not.toThrow();
    });

    it('.env.example ships no usable CAPTCHA key', () => {
      const key = envExample.CAPTCHA_HMAC_KEY ?? '';
      expect(() => loadConfig({ ...production, CAPTCHA_HMAC_KEY: key })).toThrow(/CAPTCHA_HMAC_KEY/);
    });

    it.each([
      [
        "compose.yaml's old PostgreSQL password",
        'DATABASE_URL',
        'postgres://plaza:plaza@postgres:5432/plaza',
      ],
      [
        ".env.example's PostgreSQL password",
        'DATABASE_URL',
        'postgres://plaza:change-me@postgres:5432/plaza',
      ],
      ["deploy/k8s/secret.example.yaml's DATABASE_URL", 'DATABASE_URL', k8s.DATABASE_URL!],
      ["deploy/k8s/secret.example.yaml's SMTP_URL", 'SMTP_URL', k8s.SMTP_URL!],
      ['a change-me Redis password', 'REDIS_URL', 'redis://:CHANGE-ME@redis:6379'],
    ])('%s', (_what, name, value) => {
      expect(() => loadConfig({ ...production, [name]: value })).toThrow(new RegExp(name));
      expect(() => loadConfig({ [name]: value })).not.toThrow();
    });

    it('keeps real secrets and password-less local URLs', () => {
      const config = loadConfig({
        ...production,
        DATABASE_URL: 'postgres://plaza:Zq8%40kT2vLr9xWm4@postgres:5432/plaza',
        REDIS_URL: 'redis://127.0.0.1:6379',
      });
      expect(config.databaseUrl).toContain('Zq8');
    });

    it('stops the server with exit code 1, naming the variable', async () => {
      const result = await runToExit('server/main.ts', {
        ...production,
        CAPTCHA_HMAC_KEY: 'local-compose-key-change-me-0123456789',
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('CAPTCHA_HMAC_KEY');
    });
  });

  it('stops the server with exit code 1 and every bad variable named', async () => {
    const result = await runToExit('server/main.ts', {
      PORT: '-1',
      DATABASE_URL: 'mysql://localhost/plaza',
      LOG_LEVEL: 'loud',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).toContain('LOG_LEVEL');
  });
});
