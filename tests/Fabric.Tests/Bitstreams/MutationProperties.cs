using System.Buffers.Binary;
using Dpr.Fabric.Bitstreams;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dpr.Fabric.Tests.Bitstreams;

/// <summary>
/// Mutations of a real partial: whatever happens to the bytes, the reader returns a result or a
/// <see cref="BitstreamFormatException"/> with an offset inside the file, never any other exception.
/// </summary>
public class MutationProperties
{
    private static readonly byte[] Original = Fixtures.Bytes(Fixtures.PrioGpio);
    private static readonly byte[] OriginalBin = BinConverter.ToBin(BitstreamReader.Read(Original));

    private static bool ResultOrTypedError(byte[] bytes)
    {
        try
        {
            var bs = BitstreamReader.Read(bytes);
            return bs.Packets.Count > 0;
        }
        catch (BitstreamFormatException e)
        {
            return e.Offset >= 0 && e.Offset <= bytes.Length;
        }
    }

    private static Gen<byte[]> Source => Gen.Elements(Original, OriginalBin);

    [Property(MaxTest = 200)]
    public Property Bit_flips() =>
        Prop.ForAll(
            Source.ToArbitrary(),
            ArbMap.Default.ArbFor<int>(),
            Gen.Choose(1, 8).ToArbitrary(),
            (src, seed, flips) =>
            {
                var bytes = (byte[])src.Clone();
                var rng = new Random(seed);
                for (var i = 0; i < flips; i++)
                {
                    var bit = rng.Next(bytes.Length * 8);
                    bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                }
                return ResultOrTypedError(bytes);
            });

    [Property(MaxTest = 200)]
    public Property Truncations() =>
        Prop.ForAll(
            Source.SelectMany(src => Gen.Choose(0, src.Length).Select(n => src[..n])).ToArbitrary(),
            ResultOrTypedError);

    [Property(MaxTest = 150)]
    public Property Inserted_and_deleted_words() =>
        Prop.ForAll(
            Source.ToArbitrary(),
            Gen.Choose(0, 37_000).ToArbitrary(),
            ArbMap.Default.ArbFor<(uint Word, bool Insert)>(),
            (src, wordIndex, change) =>
            {
                var at = Math.Min(wordIndex * 4, src.Length);
                var inserted = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(inserted, change.Word);
                var bytes = change.Insert
                    ? [.. src[..at], .. inserted, .. src[at..]]
                    : src[..at].Concat(src[Math.Min(at + 4, src.Length)..]).ToArray();
                return ResultOrTypedError(bytes);
            });

    [Property(MaxTest = 100)]
    public Property Any_flip_in_frame_data_fails_the_crc_check() =>
        Prop.ForAll(
            Gen.Choose(0, 2).SelectMany(w => Gen.Choose(0, (7373 * 32) - 1).Select(bit => (w, bit))).ToArbitrary(),
            pick =>
            {
                var bytes = (byte[])Original.Clone();
                var write = BitstreamReader.Read(Original).FdriWrites[pick.w];
                var bit = pick.bit % (write.Words * 32);
                bytes[write.DataOffset + (bit / 8)] ^= (byte)(1 << (bit % 8));
                return !BitstreamReader.Read(bytes).CrcVerified;
            });

    [Property(MaxTest = 100)]
    public Property Random_garbage() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ResultOrTypedError);
}
