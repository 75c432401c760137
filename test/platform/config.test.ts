import { describe, expect, it } from 'vitest';
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
        CAPTCHA_HMAC_KEY: 'a-long-enough-production-secret',
        SMTP_URL: 'smtp://mail.example.test:587',
      }).captchaHmacKey,
    ).toBe('a-long-enough-production-secret');
  });

  it('refuses production without SMTP_URL: codes and reset links must not go to the log', async () => {
    const production = { NODE_ENV: 'production', CAPTCHA_HMAC_KEY: 'a-long-enough-production-secret' };
    expect(() => loadConfig(production)).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CAPTCHA_HMAC_KEY[\s\S]*SMTP_URL/);
    const result = await runToExit('workers/main.ts', production);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SMTP_URL');
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
