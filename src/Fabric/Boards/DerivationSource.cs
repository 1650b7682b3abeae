using Dpr.Fabric.Drivers;

namespace Dpr.Fabric.Boards;

/// <summary>A bitstream given to <see cref="BoardDerivation"/>: its file name, its bytes and its .hwh if there is one.</summary>
public sealed record DerivationSource(string Name, byte[] Bytes, HardwareHandoff? Hwh = null);
