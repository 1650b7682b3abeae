using System.Globalization;

namespace Dpr.Host.Bench;

/// <summary>
/// A process's resident memory as Linux counts it (<c>/proc/PID/status</c>): now (VmRSS) and its peak
/// (VmHWM), which <see cref="ResetPeak"/> sets back to the present, so a peak is measured over one step
/// of a run without sampling (<c>proc(5)</c>, <c>/proc/PID/clear_refs</c> value 5).
/// </summary>
internal static class ProcessMemory
{
    /// <summary>VmRSS in bytes; 0 when the process is gone.</summary>
    public static long Rss(int pid) => Field(pid, "VmRSS:");

    /// <summary>VmHWM in bytes: the largest VmRSS since the start or the last <see cref="ResetPeak"/>.</summary>
    public static long Peak(int pid) => Field(pid, "VmHWM:");

    public static void ResetPeak(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");

    private static long Field(int pid, string name)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
