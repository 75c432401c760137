// `npm run cli -- <command>`: operator commands against the configured database. Exit 0 done, 1 failed, 2 usage.

const ROLES = ['member', 'moderator', 'admin'] as const;
type CliRole = (typeof ROLES)[number];
const isRole = (value: string): value is CliRole => (ROLES as readonly string[]).includes(value);

const USAGE = `Usage: npm run cli -- <command>

Commands:
  grant-role <username> <role>   set a user's role (${ROLES.join(' | ')})
  media reconcile [--dry-run]    list stored media files no row names (and rows whose files are gone);
                                 without --dry-run, remove those files and mark those rows failed
`;

function usage(problem?: string): never {
  if (problem) process.stderr.write(`${problem}\n\n`);
  (problem ? process.stderr : process.stdout).write(USAGE);
  process.exit(problem ? 2 : 0);
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (!command) usage('No command given');
  if (command === 'help' || command === '--help' || command === '-h') usage();
  if (command === 'media') return mediaCommand(rest);
  if (command !== 'grant-role') usage(`Unknown command: ${command}`);
  const [username, role, ...extra] = rest;
  if (!username || !role || extra.length > 0) usage('grant-role takes exactly <username> <role>');
  if (!isRole(role)) usage(`Unknown role "${role}": use one of ${ROLES.join(', ')}`);

  // Loaded only once the arguments are right: a usage error answers at once.
  const [
    { loadConfigOrExit },
    { createDb },
    { grantRole },
    { closeRedis, createRedis },
    { createLogger },
    { withRunningServices },
  ] = await Promise.all([
    import('./config.ts'),
    import('./db/database.ts'),
    import('./admin/admin.service.ts'),
    import('./lib/redis.ts'),
    import('./lib/logger.ts'),
    import('./embedded/running.ts'),
  ]);
  // `embedded`: the services a running `npm start` runs from DATA_DIR.
  const config = withRunningServices(loadConfigOrExit({ allowEmbedded: true }));
  const logger = createLogger('warn', 'cli');
  const db = createDb({ url: config.databaseUrl, poolSize: 1, applicationName: 'plaza-cli' });
  // Only to tell running instances that the user's cached sessions carry an old role.
  const redis = createRedis(config.redisUrl, 'commands', 'plaza-cli', logger);
  try {
    const user = await grantRole({ db, redis, config, logger }, username, role);
    if (!user) {
      process.stderr.write(`No user named "${username}"\n`);
      return 1;
    }
    process.stdout.write(`${user.username} is now ${user.role}\n`);
    return 0;
  } finally {
    await db.destroy();
    await closeRedis(redis);
  }
}

async function mediaCommand(args: string[]): Promise<number> {
  const [sub, ...flags] = args;
  if (sub !== 'reconcile') usage(sub ? `Unknown media command: ${sub}` : 'media takes a command: reconcile');
  const unknownFlags = flags.filter((flag) => flag !== '--dry-run');
  if (unknownFlags.length > 0) usage(`media reconcile takes only --dry-run, not ${unknownFlags.join(' ')}`);
  const dryRun = flags.includes('--dry-run');

  const [{ loadConfigOrExit }, { createDb }, { withRunningServices }, { mediaStoreOf }, reconcile] =
    await Promise.all([
      import('./config.ts'),
      import('./db/database.ts'),
      import('./embedded/running.ts'),
      import('./media/store.factory.ts'),
      import('./media/media.reconcile.ts'),
    ]);
  const config = withRunningServices(loadConfigOrExit({ allowEmbedded: true }));
  const db = createDb({ url: config.databaseUrl, poolSize: 2, applicationName: 'plaza-cli' });
  try {
    const report = await reconcile.reconcileMedia(db, mediaStoreOf(config), {
      dryRun,
      onFinding: (finding) => process.stdout.write(`${reconcile.describeFinding(finding, dryRun)}\n`),
    });
    process.stdout.write(`${reconcile.describeReport(report)}\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const command = process.argv[2] === 'media' ? 'media reconcile' : 'grant-role';
    process.stderr.write(`${command} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
