using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Sem;

/// <summary>
/// An upset for <see cref="SimulatedSemSource"/>: the bit <see cref="Bit"/> (0..31) of word
/// <see cref="Word"/> (0..100) of a frame flips. <see cref="Essential"/> is what the essential-bits
/// lookup would say; an uncorrectable upset is always essential (PG036 "Classification").
/// </summary>
public sealed record InjectedUpset(FrameAddress Frame, int Word, int Bit, bool Correctable, bool Essential = true);
