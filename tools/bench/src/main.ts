/* npm run bench: the pipeline bench (cli.ts), or with --soak the store soak (soak.ts). */
// required, not imported: only the chosen tool loads, and each starts when loaded
/* eslint-disable @typescript-eslint/no-require-imports */
if (process.argv.includes('--soak')) require('./soak');
else require('./cli');
