using System.Buffers.Binary;
using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Tests.Bitstreams;

/// <summary>Each malformed input gets a <see cref="BitstreamFormatException"/> saying what and where.</summary>
public class MalformedInputTests
{
    private const uint Sync = 0xAA995566;
    private const uint Nop = 0x20000000;
    private const uint CmdDesync = 0x0000000D;
    private const uint WriteCmd = 0x30008001;

    private static byte[] Raw(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * 4), words[i]);
        }
        return bytes;
    }

    private static BitstreamFormatException Refused(byte[] bytes, long offset, string says)
    {
        var e = Assert.Throws<BitstreamFormatException>(() => BitstreamReader.Read(bytes));
        Assert.Equal(offset, e.Offset);
        Assert.Contains(says, e.Message);
        Assert.Contains($"byte offset {offset}", e.Message);
        return e;
    }

    [Fact]
    public void Minimal_raw_stream_is_accepted()
    {
        var bs = BitstreamReader.Read(Raw(0xFFFFFFFF, Sync, Nop, WriteCmd, CmdDesync, Nop, Nop));

        Assert.Equal(BitstreamFormat.Raw, bs.Format);
        Assert.Equal(4, bs.SyncOffset);
        Assert.Equal([CmdDesync], bs.Commands);
        Assert.Equal(2, bs.NopWordsAfterDesync);
        Assert.False(bs.CrcVerified);
    }

    [Fact]
    public void Empty_and_tiny_files() =>
        Assert.Multiple(
            () => Refused([], 0, "found only 0 bytes"),
            () => Refused([1, 2, 3], 3, "found only 3 bytes"));

    [Fact]
    public void Garbage_without_sync_word() =>
        Refused(Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray(), 0, "sync word AA995566");

    [Fact]
    public void Truncated_header()
    {
        var bit = Fixtures.Bytes(Fixtures.JoinSubtract);
        Refused(bit[..20], 14, "header field 'a' says it is");
        Refused(bit[..13], 13, "found the end of the file");
    }

    [Fact]
    public void Header_length_disagrees_with_the_file()
    {
        var bit = Fixtures.Bytes(Fixtures.JoinSubtract);
        var e = Refused(bit[..^4], 123, "header field 'e' says the stream is 209660 bytes, but 209656 bytes follow it");
        Assert.Equal(123, e.Offset);
    }

    [Fact]
    public void Header_key_that_is_not_a_key()
    {
        var bit = (byte[])Fixtures.Bytes(Fixtures.JoinSubtract).Clone();
        bit[13] = 0xFE;
        Refused(bit, 13, "expected a header key");
    }

    [Fact]
    public void Bit_payload_without_sync_word()
    {
        var bit = (byte[])Fixtures.Bytes(Fixtures.JoinSubtract).Clone();
        bit[175] = 0xAB;
        Refused(bit, 127, "sync word AA995566 in the .bit payload");
    }

    [Fact]
    public void Type2_without_type1() => Refused(Raw(Sync, 0x50000010), 4, "no preceding type 1 header");

    [Fact]
    public void Packet_longer_than_the_file() => Refused(Raw(Sync, 0x30002005, 1, 2), 4, "declares 5 data words, but only 2 remain");

    [Fact]
    public void Type2_longer_than_the_file() => Refused(Raw(Sync, 0x30004000, 0x50000065, 1), 8, "declares 101 data words, but only 1 remain");

    [Fact]
    public void Reserved_opcode() => Refused(Raw(Sync, 0x38000000), 4, "reserved opcode 3");

    [Fact]
    public void Reserved_header_type() => Refused(Raw(Sync, Nop, 0x60000000), 8, "found 0x60000000 (type 3)");

    [Fact]
    public void Reserved_register_bits() => Refused(Raw(Sync, 0x30040001, 0), 4, "reserved bits");

    [Fact]
    public void Nop_with_data() => Refused(Raw(Sync, 0x20000002, 0, 0), 4, "NOP with no data words");

    [Fact]
    public void Fdri_not_whole_frames() => Refused(Raw(Sync, 0x30004000, 0x50000005, 1, 2, 3, 4, 5), 8, "whole 101-word frames, found 5 words");

    [Fact]
    public void Stream_that_stops_before_desync() => Refused(Raw(Sync, Nop, WriteCmd, 7), 16, "ends before CMD DESYNC");

    [Fact]
    public void Trailing_bytes_after_the_last_word()
    {
        var bytes = Raw(Sync, WriteCmd, CmdDesync).Concat(new byte[] { 0, 0 }).ToArray();
        Refused(bytes, 12, "2 trailing bytes");
    }

    [Fact]
    public void Desync_then_another_sync_resumes_parsing()
    {
        var bs = BitstreamReader.Read(Raw(Sync, WriteCmd, CmdDesync, Nop, Sync, WriteCmd, 7, WriteCmd, CmdDesync));

        Assert.Equal([CmdDesync, 7u, CmdDesync], bs.Commands);
    }

    [Fact]
    public void Other_words_before_the_sync_word() =>
        Refused(Raw(0xFFFFFFFF, 0x12AA9955, Sync, WriteCmd, CmdDesync), 4, "before the sync word expected dummy words");

    [Fact]
    public void Nop_naming_a_register() => Refused(Raw(Sync, 0x20004000, WriteCmd, CmdDesync), 4, "expected the NOP header 0x20000000");

    [Fact]
    public void Type2_after_a_nop() => Refused(Raw(Sync, 0x30004000, Nop, 0x50000000), 12, "(a NOP header at byte offset 8 comes between)");

    [Fact]
    public void Type2_after_a_type2() => Refused(Raw(Sync, 0x30008000, 0x50000000, 0x50000000), 12, "(another type 2 header comes between)");

    [Fact]
    public void Type2_with_another_opcode_than_its_type1() => Refused(Raw(Sync, 0x28008000, 0x50000001, 7), 8, "has opcode 2, its type 1 header 1");

    [Fact]
    public void Frame_data_before_any_far_write() =>
        Refused(Raw([Sync, 0x30004000, 0x50000065, .. new uint[101], WriteCmd, CmdDesync]), 8, "FDRI data before any FAR write");

    [Fact]
    public void Type2_register_writes_are_applied_like_type1()
    {
        // CMD IPROG and IDCODE carried by type 2 packets are writes like any other (UG470 "Type 2 Packet").
        var bs = BitstreamReader.Read(Raw(Sync, 0x30018000, 0x50000001, 0x03727093, 0x30008000, 0x50000002, 0x0F, CmdDesync, Nop));

        Assert.Equal([0x03727093u], bs.IdCodes);
        Assert.Equal([0x0Fu, CmdDesync], bs.Commands);
        Assert.All(bs.RegisterWrites, w => Assert.Equal(2, w.HeaderType));
        Assert.Equal([12L, 24L, 28L], bs.RegisterWrites.Select(w => w.Offset));
    }
}
