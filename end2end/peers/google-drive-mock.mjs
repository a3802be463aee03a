// google-drive-mock (npm), a Drive v3 imitation written outside this project,
// for the Rust suite's third-party peer tests. Listens on a free loopback port
// (PORT, default 0) and prints "listening <origin>" once ready; stops on SIGTERM.
// It accepts only the bearer tokens "valid-token" and "another-valid-token".
import driveMock from 'google-drive-mock';

const app = driveMock.createApp();
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () =>
  console.log(`listening http://127.0.0.1:${server.address().port}`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
