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

describe('redacting a list of broker URLs', () => {
  const list =
    'amqp://worker:FirstSecret1@broker-0:5672,amqp://worker:Second%2FSecret2@broker-1,amqp://ops:Third@3@broker-2';

  it('hides every password of the list, in the shown list and in free text', () => {
    // GIVEN a redactor built from a list of three URLs (an encoded '/', a raw '@')
    const redactor = new Redactor(list);
    // WHEN the list, each URL, and the passwords alone appear in lines
    const line = redactor.text(
      `urls ${list}; second ${list.split(',')[1]}; secrets FirstSecret1 Second/Secret2 Third@3`,
    );
    // THEN no password shows, in any form, and every host does
    for (const secret of ['FirstSecret1', 'Second', 'Secret2', 'Third@3']) expect(line).not.toContain(secret);
    expect(line).toContain(
      'urls amqp://worker:***@broker-0:5672,amqp://worker:***@broker-1,amqp://ops:***@broker-2; second amqp://worker:***@broker-1',
    );
    expect(redactUrl(list)).toBe('amqp://worker:***@broker-0:5672,amqp://worker:***@broker-1,amqp://ops:***@broker-2');
  });

  it('hides the passwords of a list it was not given, each URL keeping its host', () => {
    // GIVEN a redactor that knows no URL WHEN a line quotes a list THEN each URL's user-info is hidden on its own
    expect(new Redactor().text(`at ${list} now`)).toBe(
      'at amqp://worker:***@broker-0:5672,amqp://worker:***@broker-1,amqp://ops:***@broker-2 now',
    );
  });

  it('takes several lists and single URLs at once (-u given several times, and $AMQP_URL)', () => {
    const redactor = new Redactor('amqp://a:PassA1@h1,amqp://b:PassB2@h2', 'amqp://c:PassC3@h3', '');
    expect(redactor.text('PassA1 PassB2 PassC3')).toBe('*** *** ***');
  });
});
