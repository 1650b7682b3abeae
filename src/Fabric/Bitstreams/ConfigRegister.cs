namespace Dpr.Fabric.Bitstreams;

/// <summary>7-series configuration registers, 5-bit addresses (UG470 via prjxray; FORMAT-NOTES §4).</summary>
public enum ConfigRegister
{
    CRC = 0x00,
    FAR = 0x01,
    FDRI = 0x02,
    FDRO = 0x03,
    CMD = 0x04,
    CTL0 = 0x05,
    MASK = 0x06,
    STAT = 0x07,
    LOUT = 0x08,
    COR0 = 0x09,
    MFWR = 0x0A,
    CBC = 0x0B,
    IDCODE = 0x0C,
    AXSS = 0x0D,
    COR1 = 0x0E,
    WBSTAR = 0x10,
    TIMER = 0x11,
    BOOTSTS = 0x16,
    CTL1 = 0x18,
    BSPI = 0x1F,
}
