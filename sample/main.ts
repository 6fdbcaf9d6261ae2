import { createSampleApp } from './sample-app.js';

// `npm run sample`: settings from the environment (PORT, HOST, ISSUER, DATABASE_URL, DPOP_NONCE, DPOP_NONCE_SECRET).
void createSampleApp();
