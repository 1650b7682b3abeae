namespace Dpr.Fabric.Bitstreams;

/// <summary>Values written to the CMD register (UG470 via prjxray; FORMAT-NOTES §5).</summary>
public enum ConfigCommand
{
    NULL = 0x00,
    WCFG = 0x01,
    MFW = 0x02,
    LFRM = 0x03,
    RCFG = 0x04,
    START = 0x05,
    RCAP = 0x06,
    RCRC = 0x07,
    AGHIGH = 0x08,
    SWITCH = 0x09,
    GRESTORE = 0x0A,
    SHUTDOWN = 0x0B,
    GCAPTURE = 0x0C,
    DESYNC = 0x0D,
    IPROG = 0x0F,
    CRCC = 0x10,
    LTIMER = 0x11,
    BSPI_READ = 0x12,
    FALL_EDGE = 0x13,
}
