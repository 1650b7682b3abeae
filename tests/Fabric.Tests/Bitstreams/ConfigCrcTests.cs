using System.Buffers.Binary;
using Dpr.Fabric.Bitstreams;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dpr.Fabric.Tests.Bitstreams;

public class ConfigCrcTests
{
    [Fact]
    public void Check_after_shutdown_is_the_documented_constant()
    {
        // FORMAT-NOTES §8: the second CRC of every partial is feed(0, CMD SHUTDOWN) = 0x5DA98E32.
        var crc = new ConfigCrc();
        crc.Feed((uint)ConfigCommand.SHUTDOWN, (int)ConfigRegister.CMD);

        Assert.Equal(0x5DA98E32u, crc.Value);
        Assert.Equal(0x5DA98E32u, ConfigCrc.FeedBitwise(0, (uint)ConfigCommand.SHUTDOWN, (int)ConfigRegister.CMD));
    }

    [Property(MaxTest = 300)]
    public Property Fast_crc_equals_bitwise_definition() =>
        Prop.ForAll(
            ArbMap.Default.ArbFor<uint[]>(),
            Gen.Choose(0, 31).ToArbitrary(),
            Gen.Choose(0, 200).ToArbitrary(),
            (words, register, split) =>
            {
                var expected = 0u;
                foreach (var w in words)
                {
                    expected = ConfigCrc.FeedBitwise(expected, w, register);
                }
                // Half word by word, the rest through the span path, in both byte orders.
                var cut = Math.Min(split, words.Length);
                var be = new byte[(words.Length - cut) * 4];
                var le = new byte[be.Length];
                for (var i = cut; i < words.Length; i++)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(be.AsSpan((i - cut) * 4), words[i]);
                    BinaryPrimitives.WriteUInt32LittleEndian(le.AsSpan((i - cut) * 4), words[i]);
                }
                var a = new ConfigCrc();
                var b = new ConfigCrc();
                foreach (var w in words[..cut])
                {
                    a.Feed(w, register);
                    b.Feed(w, register);
                }
                a.Feed(be, register, bigEndian: true);
                b.Feed(le, register, bigEndian: false);
                return a.Value == expected && b.Value == expected;
            });

    [Property(MaxTest = 300)]
    public bool Portable_table_equals_bitwise(uint crc, ulong data)
    {
        var expected = crc;
        for (var i = 0; i < 64; i++)
        {
            var b = (expected ^ (uint)(data >> i)) & 1;
            expected = (expected >> 1) ^ (b != 0 ? ConfigCrc.Polynomial : 0);
        }
        return ConfigCrc.PortableCrc64(crc, data) == expected;
    }
}
