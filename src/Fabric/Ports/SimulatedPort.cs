namespace Dpr.Fabric.Ports;

/// <summary>
/// A configuration port in front of a <see cref="SimulatedDevice"/>: checks what the device would
/// check (IDCODE, CRC), writes the image's frames, reports the modelled transfer time, and fails as
/// the <see cref="FaultPlan"/> says. One write at a time, as through the device's single
/// configuration port: a second write waits until the first has finished or failed.
/// </summary>
public sealed class SimulatedPort(SimulatedDevice device, SimulatedPortOptions options, FaultPlan? faults = null, TimeProvider? time = null)
    : IConfigurationPort
{
    private readonly FaultPlan _faults = faults ?? FaultPlan.None;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly PortWriterLock _writer = new();
    private int _writes;

    public string Name => "simulated";

    public SimulatedDevice Device { get; } = device;

    public SimulatedPortOptions Options { get; } = options;

    /// <summary>Writes attempted so far, failed ones included; a write cancelled while it waited for the port is not one.</summary>
    public int Writes => _writes;

    public async Task<PortWriteResult> WriteAsync(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _writer.EnterAsync(image.Name, cancellationToken);
        try
        {
            return await Write(image, progress, cancellationToken);
        }
        finally
        {
            _writer.Exit();
        }
    }

    private async Task<PortWriteResult> Write(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken)
    {
        var write = Interlocked.Increment(ref _writes);
        var bs = image.Bitstream;
        if (bs.IdCode is not { } id || !Device.Board.Device.Matches(id))
        {
            throw new ConfigurationPortException(PortFailure.Refused, false, $"the device ({Device.Board.Device.Name}) refused {image.Name}: IDCODE {(bs.IdCode is { } i ? $"0x{i:X8}" : "missing")} does not match");
        }
        var frames = Device.FramesWrittenBy(bs);
        var duration = Options.TransferTime(image.Bytes);
        progress?.Report(new PortProgress(0, image.Bytes));
        var planned = _faults.Next(write, image.Name);
        switch (planned?.Fault)
        {
            case SimulatedFault.Fail:
                throw new ConfigurationPortException(PortFailure.Refused, false, $"simulated failure: write {write} of {image.Name} refused before any frame was written");
            case SimulatedFault.Hang:
                try
                {
                    // A bounded hang is a port that stalls, then goes on: the caller sees a slow write or, past its own timeout, a hang.
                    await Task.Delay(planned.HangFor ?? Timeout.InfiniteTimeSpan, _time, cancellationToken);
                }
                catch (OperationCanceledException e)
                {
                    Device.Write(image, frames.Take(frames.Count / 2), garbage: true);
                    throw new ConfigurationPortException(PortFailure.Timeout, true, $"simulated hang: write {write} of {image.Name} never completed", e);
                }
                break;
            case SimulatedFault.PartialWrite:
                Device.Write(image, frames.Take(frames.Count / 2), garbage: true);
                progress?.Report(new PortProgress(image.Bytes / 2, image.Bytes));
                throw new ConfigurationPortException(PortFailure.WriteFailed, true, $"simulated failure: write {write} of {image.Name} stopped half way");
            case SimulatedFault.Corrupt:
                Device.Write(image, frames, garbage: true);
                throw new ConfigurationPortException(PortFailure.CrcError, true, $"simulated corruption: the device reported a CRC error for {image.Name}");
        }
        if (!bs.CrcVerified)
        {
            Device.Write(image, frames, garbage: true);
            throw new ConfigurationPortException(PortFailure.CrcError, true, $"the device reported a CRC error for {image.Name}");
        }
        if (Options.RealTime)
        {
            await Task.Delay(duration, _time, cancellationToken);
        }
        Device.Write(image, frames, garbage: false);
        progress?.Report(new PortProgress(image.Bytes, image.Bytes));
        return new PortWriteResult(duration, image.Bytes);
    }
}
