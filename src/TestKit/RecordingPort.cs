using Dpr.Fabric.Ports;

namespace Dpr.TestKit;

/// <summary>
/// The configuration port as the node sees it, recording each write: what it wrote, how it ended, and
/// whether another write was under way when it began (one configuration port takes one write at a time).
/// </summary>
internal sealed class RecordingPort(IConfigurationPort port) : IConfigurationPort
{
    private readonly Lock _lock = new();
    private readonly List<PortWrite> _writes = [];
    private int _inFlight;
    private CancellationTokenSource _process = new();

    public string Name => port.Name;

    public IReadOnlyList<PortWrite> Writes
    {
        get
        {
            lock (_lock)
            {
                return [.. _writes];
            }
        }
    }

    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>The process that writes dies: the writes under way are cut off where they are (a hang ends, a partial stays half written).</summary>
    public void AbortWrites()
    {
        lock (_lock)
        {
            _process.Cancel();
            _process.Dispose();
            _process = new CancellationTokenSource();
        }
    }

    public async Task<PortWriteResult> WriteAsync(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken)
    {
        int index;
        lock (_lock)
        {
            index = _writes.Count;
            _writes.Add(new PortWrite(index + 1, image.Name, false, null, _inFlight > 0));
            _inFlight++;
        }
        string? failure = null;
        CancellationTokenSource aborted;
        lock (_lock)
        {
            aborted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _process.Token);
        }
        try
        {
            return await port.WriteAsync(image, progress, aborted.Token);
        }
        catch (Exception e)
        {
            failure = $"{e.GetType().Name}: {e.Message}";
            throw;
        }
        finally
        {
            aborted.Dispose();
            lock (_lock)
            {
                _inFlight--;
                _writes[index] = _writes[index] with { Finished = true, Failure = failure };
            }
        }
    }
}
