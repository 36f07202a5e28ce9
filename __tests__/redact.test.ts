import { Redactor, redactUrl } from '../worker/observability/redact';

describe('redacting a broker URL whose password holds a raw / ? or #', () => {
  it.each([
    ['amqp://admin:5/SECRETPW@127.0.0.1'],
    ['amqp://admin:1?SECRETPW@127.0.0.1'],
    ['amqp://admin:5#SECRETPW@127.0.0.1'],
  ])('hides the secret of %s in lines and in the shown URL', (url) => {
    // GIVEN a URL that parsers read as host admin (the password's text ends up as vhost, query or fragment)
    const redactor = new Redactor(url);
    // WHEN a line quotes it, and the URL is shown on its own
    const line = redactor.text(`cannot reach the broker at ${url} (ECONNREFUSED); vhost 'SECRETPW'`);
    // THEN no part of the secret shows
    expect(line).not.toContain('SECRETPW');
    expect(line).toContain('amqp://admin:***@127.0.0.1');
    expect(redactUrl(url)).toBe('amqp://admin:***@127.0.0.1');
  });
});
