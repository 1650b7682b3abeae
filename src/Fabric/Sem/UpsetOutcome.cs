namespace Dpr.Fabric.Sem;

public enum UpsetOutcome
{
    /// <summary>The controller repaired the bit; the frame holds its configured value again.</summary>
    Corrected,

    /// <summary>The controller could not correct it (PG036: "the FPGA must be reconfigured").</summary>
    Uncorrectable,
}
