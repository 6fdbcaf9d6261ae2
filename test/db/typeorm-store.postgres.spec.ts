import { storeContract } from '../helpers/store-contract.js';

// PostgreSQL on 127.0.0.1:5432 (npm run test:db); fails loudly when it is not reachable.
const PORT = Number(process.env.PGPORT ?? 5432);
storeContract(
  'PostgreSQL',
  (port = PORT) => ({ type: 'postgres', host: '127.0.0.1', port, username: 'postgres', database: 'test' }),
  PORT,
);
