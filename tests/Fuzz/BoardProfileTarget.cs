using Dpr.Fabric.Boards;

namespace Dpr.Fuzz;

/// <summary>
/// A board profile as <c>--board PATH.json</c> reads it: <see cref="BoardCatalog.Parse"/>, then the
/// frame counts and frame lists of every partition that the verdict and the SEM locator use.
/// Expected: <see cref="BoardProfileException"/>.
/// </summary>
public sealed class BoardProfileTarget : IFuzzTarget
{
    public string Name => "board";

    public string Description => "BoardCatalog.Parse, Board.FrameCount, Board.FramesOf, MaskBurst.Words";

    public void Run(byte[] input)
    {
        Board board;
        try
        {
            board = BoardCatalog.Parse(new MemoryStream(input, writable: false));
        }
        catch (BoardProfileException)
        {
            return;
        }
        foreach (var partition in board.Partitions)
        {
            _ = board.FrameCount(partition);
            _ = board.FramesOf(partition).Count();
            _ = partition.Mask?.Words(board.Device);
        }
    }

    public IEnumerable<byte[]> Dictionary => Tokens.Of(
        "\"name\"", "\"description\"", "\"device\"", "\"partitions\"", "\"frames\"", "\"blockType\"", "\"half\"", "\"row\"",
        "\"firstColumn\"", "\"lastColumn\"", "\"decoupler\"", "\"address\"", "\"bit\"", "\"moduleAddress\"", "\"moduleSpan\"",
        "\"hosts\"", "\"dmaAddress\"", "\"cfgClbMask\"", "\"word\"", "\"rows\"", "\"columns\"", "\"staticImage\"", "\"port\"",
        "\"fabricClockMHz\"", "\"memory\"", "\"base\"", "\"size\"", "\"CLB_IO_CLK\"", "\"BLOCK_RAM\"", "\"top\"", "\"bottom\"",
        "\"pcap\"", "\"icap\"", "\"xc7z020\"", "\"xc7z010\"", "\"xc7a35t\"", "\"xc7a50t\"", "\"0x0\"", "\"0xFFFFFFFFFFFFFFFF\"",
        "\"0x100000000\"", "\"18-43,50-73\"", "\"0-2147483647\"", "\"opaque\"", "\"convolution\"", "null", "-1", "2147483647", "1e308");

    public IEnumerable<Seed> Seeds(FixtureDirectory fixtures)
    {
        foreach (var name in BoardCatalog.BuiltInNames)
        {
            using var stream = typeof(BoardCatalog).Assembly.GetManifestResourceStream($"Dpr.Fabric.Boards.{name}.board.json")!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            yield return new Seed($"{name}.board.json", copy.ToArray());
        }
        // The prjxray-db part files the frame maps come from: JSON of the same rows and columns.
        foreach (var file in fixtures.Devices)
        {
            yield return new Seed(Path.GetFileName(file), File.ReadAllBytes(file));
        }
    }
}
