namespace Dpr.Fabric.Ports;

public readonly record struct PortProgress(long BytesWritten, long TotalBytes);
