using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Tests.Ports;

/// <summary>Records reports synchronously (<see cref="Progress{T}"/> posts them to a context, later).</summary>
public sealed class RecordingProgress : IProgress<PortProgress>
{
    private readonly List<PortProgress> _reports = [];

    public IReadOnlyList<PortProgress> Reports
    {
        get
        {
            lock (_reports)
            {
                return _reports.ToArray();
            }
        }
    }

    public void Report(PortProgress value)
    {
        lock (_reports)
        {
            _reports.Add(value);
        }
    }
}
