namespace Dpr.Host.Tests.Hardware;

/// <summary>
/// A test that needs the hardware tools (iverilog). It runs by default and fails when a tool is missing;
/// DPR_SKIP_HARDWARE=1 reports it as skipped instead, so it never passes without having run.
/// </summary>
public sealed class HardwareFactAttribute : FactAttribute
{
    public HardwareFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("DPR_SKIP_HARDWARE") == "1")
        {
            Skip = "DPR_SKIP_HARDWARE=1";
        }
    }
}
