// The limit: a bare amqplib consumer that only acks. Usage: node bare-consumer.js URL QUEUE COUNT
const amqp = require('amqplib');
const [url, queue, count] = process.argv.slice(2);
(async () => {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.prefetch(256);
  let n = 0;
  await channel.consume(queue, (m) => {
    channel.ack(m);
    if (++n === Number(count)) channel.close().then(() => connection.close());
  });
})().catch((err) => {
  process.stderr.write(`bare-consumer: ${err.message}\n`);
  process.exit(1);
});
