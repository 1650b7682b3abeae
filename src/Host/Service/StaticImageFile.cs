using Dpr.Fabric.Bitstreams;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Ports;

namespace Dpr.Host.Service;

/// <summary>
/// The board's static image, ready for its port: the profile's <c>staticImage</c>, looked up beside the
/// modules; on the simulated board a synthetic full image of <see cref="Board.StaticDesign"/> when the
/// profile names none or the file is not there. Named <see cref="Board.StaticDesign"/>, which is what
/// <see cref="StaticDesignCheck"/> expects the device to hold after the load.
/// </summary>
public static class StaticImageFile
{
    /// <exception cref="ServiceOptionsException">No static image can be loaded; the problem names <c>Dpr:LoadStatic</c>.</exception>
    public static ConfigurationImage Read(ServiceOptions options, Board board)
    {
        var setting = $"{ServiceOptions.Section}:{nameof(ServiceOptions.LoadStatic)}";
        string? path = board.StaticImage is { } file ? Path.Combine(options.ModulesDirectory, file) : null;
        byte[] bytes;
        if (path is not null && File.Exists(path))
        {
            bytes = File.ReadAllBytes(path);
        }
        else if (options.Simulated)
        {
            bytes = SyntheticBitstream.Full(board, board.StaticDesign);
        }
        else
        {
            throw new ServiceOptionsException([path is null
                ? $"{setting}: board '{board.Name}' names no static image (\"staticImage\" in its profile) to load"
                : $"{setting}: the static image of board '{board.Name}' is not at {path}"]);
        }
        Bitstream bitstream;
        try
        {
            bitstream = BitstreamReader.Read(bytes);
        }
        catch (BitstreamFormatException e)
        {
            throw new ServiceOptionsException([$"{setting}: the static image {path} is not a bitstream: {e.Message}"]);
        }
        return bitstream.Kind == BitstreamKind.Full
            ? new ConfigurationImage(board.StaticDesign, bitstream)
            : throw new ServiceOptionsException([$"{setting}: the static image {path} is a {bitstream.Kind.ToString().ToLowerInvariant()} bitstream, not a full one"]);
    }
}
