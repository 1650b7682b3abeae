namespace Dpr.Fabric.Ports;

/// <summary>
/// One write at a time through a configuration port. Every partition of a Zynq is written through
/// the same port (PCAP, behind one fpga_manager with a single <c>flags</c> attribute), while each
/// partition's region manager swaps on its own schedule: a second partition's write must not change
/// <c>flags</c> or start its own load while the first is programming. The lock is held for the whole
/// write; the next writer waits, and the caller's token (its write timeout) covers the wait too.
/// </summary>
internal sealed class PortWriterLock
{
    private readonly SemaphoreSlim _writer = new(1, 1);
    private int _waiting;

    /// <summary>Writes waiting for the port, not counting the one under way.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// Waits until no other write is under way; every successful call is matched by one <see cref="Exit"/>.
    /// A cancellation while waiting is a <see cref="PortFailure.Timeout"/> that leaves the region as it
    /// was: nothing reached the device on this write's behalf.
    /// </summary>
    public async Task EnterAsync(string image, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _writer.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException e)
        {
            throw new ConfigurationPortException(PortFailure.Timeout, false,
                $"the write of {image} was cancelled while it waited for the port, busy with another write: nothing was written", e);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public void Exit() => _writer.Release();
}
