/** One jest run over every package's test/ folder, on the TypeScript sources. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true } }] },
  moduleNameMapper: { '^@dkeyserv/(pgp|db|recon|quorum|hkp)$': '<rootDir>/packages/$1/src' },
  testTimeout: 120000,
  maxWorkers: 2,
};
