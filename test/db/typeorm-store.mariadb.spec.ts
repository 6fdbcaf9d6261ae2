import { storeContract } from '../helpers/store-contract.js';

// MariaDB on 127.0.0.1:3306 (npm run test:db); fails loudly when it is not reachable.
const PORT = Number(process.env.MYSQL_PORT ?? 3306);
storeContract(
  'MariaDB',
  (port = PORT) => ({ type: 'mariadb', host: '127.0.0.1', port, username: 'root', password: '', database: 'test' }),
  PORT,
);
