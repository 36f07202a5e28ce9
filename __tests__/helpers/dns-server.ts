import { createSocket, type Socket } from 'node:dgram';

export interface SrvRecord {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

/** A small authoritative DNS server on UDP loopback that answers SRV queries from a table. */
export class SrvDnsServer {
  private readonly socket: Socket = createSocket('udp4');
  readonly queries: string[] = [];
  port = 0;

  constructor(private readonly records: Readonly<Record<string, readonly SrvRecord[]>>) {
    this.socket.on('message', (query, peer) => this.socket.send(this.answer(query), peer.port, peer.address));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.port = this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(query: Buffer): Buffer {
    let offset = 12;
    const labels: string[] = [];
    while (query[offset] !== 0) {
      labels.push(query.subarray(offset + 1, offset + 1 + query[offset]).toString());
      offset += query[offset] + 1;
    }
    const questionEnd = offset + 5; // zero label, qtype, qclass
    const name = labels.join('.').toLowerCase();
    const qtype = query.readUInt16BE(offset + 1);
    this.queries.push(name);
    const found = qtype === 33 ? this.records[name] : undefined;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0); // id
    // response, authoritative, RD, RA; NXDOMAIN when unknown
    header.writeUInt16BE(found || this.records[name] ? 0x8580 : 0x8583, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(found?.length ?? 0, 6);
    const answers = (found ?? []).map((r) => {
      const target = Buffer.concat([
        ...r.target.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
        Buffer.from([0]),
      ]);
      const rr = Buffer.alloc(12 + 6);
      rr.writeUInt16BE(0xc00c, 0); // the question's name
      rr.writeUInt16BE(33, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(5, 6);
      rr.writeUInt16BE(6 + target.length, 10);
      rr.writeUInt16BE(r.priority, 12);
      rr.writeUInt16BE(r.weight, 14);
      rr.writeUInt16BE(r.port, 16);
      return Buffer.concat([rr, target]);
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
  }
}
