/* npm run bench: the pipeline bench (cli.ts), or with --soak the store soak (soak.ts). */
if (process.argv.includes('--soak')) require('./soak');
else require('./cli');
