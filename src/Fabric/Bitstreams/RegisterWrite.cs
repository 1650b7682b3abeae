namespace Dpr.Fabric.Bitstreams;

/// <summary>
/// One data word the configuration engine writes to a register other than FDRI, whichever packet
/// carried it: a type 1 packet, or a type 2 packet continuing the register of the type 1 header
/// before it (UG470 ch. 5, "Type 2 Packet"; FORMAT-NOTES §3).
/// </summary>
/// <param name="Offset">Byte offset of the data word in the file.</param>
/// <param name="Register">5-bit register address.</param>
/// <param name="HeaderType">1 or 2: the packet that carried the word.</param>
/// <param name="Session">1 for the words after the first sync word, 2 after a second one (after DESYNC)...</param>
public sealed record RegisterWrite(long Offset, int Register, uint Value, int HeaderType, int Session)
{
    public string RegisterName => ConfigNames.Register(Register);

    public override string ToString() => Register == (int)ConfigRegister.CMD
        ? $"CMD {ConfigNames.Command(Value)}"
        : $"{RegisterName}=0x{Value:X8}";
}
