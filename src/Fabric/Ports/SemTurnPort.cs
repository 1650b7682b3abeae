namespace Dpr.Fabric.Ports;

/// <summary>
/// A PCAP port whose every write takes its turn at the configuration engine (<see cref="SemTurns"/>):
/// the Linux fpga_manager on a board, the simulated port in simulation, the same turn in front of both.
/// </summary>
public sealed class SemTurnPort(IConfigurationPort inner, SemTurns turns) : IConfigurationPort
{
    public string Name => Inner.Name;

    public IConfigurationPort Inner { get; } = inner;

    public SemTurns Turns { get; } = turns;

    public Task<PortWriteResult> WriteAsync(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken) =>
        Turns.TakeAsync(image.Name, token => Inner.WriteAsync(image, progress, token), cancellationToken);
}
