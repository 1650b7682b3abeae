namespace Dpr.Fabric.Bitstreams;

/// <summary>Mnemonics as UG470 spells them; unknown values are named generically rather than refused.</summary>
public static class ConfigNames
{
    public static string Register(int address) =>
        Enum.IsDefined(typeof(ConfigRegister), address)
            ? ((ConfigRegister)address).ToString()
            : $"REG_0x{address:X2}";

    public static string Command(uint value) =>
        value <= int.MaxValue && Enum.IsDefined(typeof(ConfigCommand), (int)value)
            ? ((ConfigCommand)value).ToString()
            : $"CMD_0x{value:X2}";
}
