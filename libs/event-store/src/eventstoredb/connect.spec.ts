import { connectToEventStoreDb, maskPassword } from './connect';

describe('connectToEventStoreDb', () => {
  const withPassword = 'esdb://admin:s3cret-pw@localhost:2113?tls=false';

  it("masks the password in the client's warning about an unknown option, which quotes the whole string", async () => {
    const warnings = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const client = connectToEventStoreDb(`${withPassword}&unknownOption=1`);
      await client.dispose();
      const printed = warnings.mock.calls.flat().join('\n');
      expect(printed).toContain('Unknown option key "unknownOption"');
      expect(printed).toContain('esdb://admin:***@localhost:2113');
      expect(printed).not.toContain('s3cret-pw');
    } finally {
      warnings.mockRestore();
    }
  });

  it('masks it in a parse error, and leaves a string without a password as it is', () => {
    expect(() => connectToEventStoreDb('esdb://admin:s3cret-pw@localhost:2113?tls=maybe')).toThrow(/expected true or false/);
    expect(() => connectToEventStoreDb('esdb://admin:s3cret-pw@localhost:2113?tls=maybe')).not.toThrow(/s3cret-pw/);
    expect(maskPassword('esdb://node1:2113,node2:2113?tls=true', 'esdb://node1:2113,node2:2113?tls=true')).toBe('esdb://node1:2113,node2:2113?tls=true');
    expect(maskPassword(withPassword, `failed: ${withPassword}`)).toBe('failed: esdb://admin:***@localhost:2113?tls=false');
  });
});
