using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Tests.Bitstreams;

public class BinConverterTests
{
    public static TheoryData<string> Files => new(Fixtures.BitFiles);

    [Theory]
    [MemberData(nameof(Files))]
    public void Bin_and_raw_parse_like_the_bit(string name)
    {
        var bit = BitstreamReader.Read(Fixtures.Bytes(name));
        var bin = BitstreamReader.Read(BinConverter.ToBin(bit));
        var raw = BitstreamReader.Read(BinConverter.ToRaw(bin));

        Assert.Equal(BitstreamFormat.Bin, bin.Format);
        Assert.Equal(BitstreamFormat.Raw, raw.Format);
        foreach (var other in new[] { bin, raw })
        {
            Assert.Null(other.Header);
            Assert.Equal(bit.SyncOffset - bit.PayloadOffset, other.SyncOffset);
            Assert.Equal(bit.Kind, other.Kind);
            Assert.Equal(bit.IdCodes, other.IdCodes);
            Assert.Equal(bit.Commands, other.Commands);
            Assert.Equal(bit.FarWrites, other.FarWrites);
            Assert.Equal(bit.FdriWrites.Select(w => (w.Far, w.Words)), other.FdriWrites.Select(w => (w.Far, w.Words)));
            Assert.Equal(bit.CrcChecks.Select(c => (c.Expected, c.Computed)), other.CrcChecks.Select(c => (c.Expected, c.Computed)));
            Assert.Equal(bit.NopWordsAfterDesync, other.NopWordsAfterDesync);
        }
        Assert.Equal(bit.Payload.ToArray(), BinConverter.ToRaw(bin));
        Assert.Equal(bit.ReadWord(bit.FdriWrites[^1], 7), bin.ReadWord(bin.FdriWrites[^1], 7));
    }

    [Fact]
    public void Bin_is_the_swapped_payload_as_pynq_writes_it()
    {
        var bit = BitstreamReader.Read(Fixtures.Bytes(Fixtures.JoinSubtract));
        var bin = BinConverter.ToBin(bit);
        var payload = bit.Payload.Span;

        Assert.Equal(bit.Header!.PayloadLength, (uint)bin.Length);
        for (var i = 0; i < bin.Length; i += 4)
        {
            Assert.True(payload[i] == bin[i + 3] && payload[i + 1] == bin[i + 2] && payload[i + 2] == bin[i + 1] && payload[i + 3] == bin[i], $"word at {i}");
        }
        // Dummy words unchanged, bus-width word 000000BB becomes BB000000, sync reads 66 55 99 AA
        // where the Zynq fpga_manager driver looks for it (FORMAT-NOTES §10).
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], bin[..4]);
        Assert.Equal([0xBB, 0x00, 0x00, 0x00], bin[32..36]);
        Assert.Equal([0x66, 0x55, 0x99, 0xAA], bin[48..52]);
    }

    [Fact]
    public void Converting_a_bin_again_is_the_identity()
    {
        var bin = BinConverter.ToBin(BitstreamReader.Read(Fixtures.Bytes(Fixtures.PrioGpio)));

        Assert.Equal(bin, BinConverter.ToBin(BitstreamReader.Read(bin)));
    }
}
