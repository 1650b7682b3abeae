namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// One packet of the stream (FORMAT-NOTES §3). A run of consecutive NOPs is kept as one packet whose
/// <see cref="Repeat"/> counts them, so a file of NOPs costs a few bytes of memory, not one object each.
/// </summary>
/// <param name="Offset">Byte offset of the (first) header in the file.</param>
/// <param name="HeaderType">1 or 2.</param>
/// <param name="Opcode">NOP, read or write (bits 28:27).</param>
/// <param name="Register">5-bit register address; for type 2, the one of the preceding type 1 header.</param>
/// <param name="WordCount">Data words that follow the header.</param>
/// <param name="Values">The data words of a register write, type 1 or type 2 (a type 2 write to CMD is a command like any other); empty for FDRI data and reads.</param>
/// <param name="Repeat">How many identical NOP headers in a row this packet stands for.</param>
public sealed record ConfigPacket(
    long Offset,
    int HeaderType,
    PacketOpcode Opcode,
    int Register,
    int WordCount,
    IReadOnlyList<uint> Values,
    int Repeat = 1)
{
    public string RegisterName => ConfigNames.Register(Register);

    public override string ToString() => Opcode switch
    {
        PacketOpcode.Nop => Repeat > 1 ? $"NOP x{Repeat}" : "NOP",
        PacketOpcode.Read => $"read {RegisterName} ({WordCount} words)",
        _ when Register == (int)ConfigRegister.CMD && Values.Count == 1 => $"CMD {ConfigNames.Command(Values[0])}",
        _ when Values.Count == 1 => $"{RegisterName}=0x{Values[0]:X8}",
        _ => $"{RegisterName} type {HeaderType} ({WordCount} words)",
    };
}
