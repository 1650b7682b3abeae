namespace Dpr.Fabric.Ports;

/// <summary>A completed write: how long the transfer took (modelled on the simulated port, measured on a board) and its size.</summary>
public sealed record PortWriteResult(TimeSpan Duration, long Bytes);
