import { storeContract } from '../helpers/store-contract.js';
import { typeormCases, typeormHarness } from '../helpers/typeorm-harness.js';

// MariaDB on 127.0.0.1:3306 (npm run test:db); fails loudly when it is not reachable.
const PORT = Number(process.env.MYSQL_PORT ?? 3306);
const connection = (port = PORT) => ({
  type: 'mariadb' as const,
  host: '127.0.0.1',
  port,
  username: 'root',
  password: '',
  database: 'test',
});

storeContract('MariaDB', typeormHarness(connection, PORT));
typeormCases('MariaDB', connection);
