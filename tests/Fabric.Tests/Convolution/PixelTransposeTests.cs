using Dpr.Fabric.Convolution;

namespace Dpr.Fabric.Tests.Convolution;

public sealed class PixelTransposeTests
{
    [Theory]
    [InlineData(8, 8, 0, -1)]
    [InlineData(16, 19, 0, -1)]
    [InlineData(24, 17, 0, 0xFF)]
    [InlineData(8, 31, 8, -1)]
    public void Int16_blocks_land_at_column_times_channels_plus_channel(int cin, int width, int shift, int mask)
    {
        var stride = width + 5;
        var random = new Random(cin * 100 + width);
        var source = Enumerable.Range(0, cin * stride).Select(_ => random.Next(-32768, 32768)).ToArray();
        var destination = new short[width * cin + 3];
        Array.Fill(destination, (short)12345);

        var done = PixelTranspose.Columns16(source, stride, cin, width, destination, shift, mask);

        Assert.Equal(PixelTranspose.IsSupported ? width / 8 * 8 : 0, done);
        for (var c = 0; c < width; c++)
        {
            for (var ci = 0; ci < cin; ci++)
            {
                var expected = c < done ? (short)((source[ci * stride + c] >> shift) & mask) : (short)12345;
                Assert.Equal(expected, destination[c * cin + ci]);
            }
        }
        Assert.All(destination[(width * cin)..], v => Assert.Equal(12345, v));
    }

    [Theory]
    [InlineData(16, 0, -1)]
    [InlineData(19, 0, -1)]
    [InlineData(45, 0, 0xFF)]
    [InlineData(32, 8, -1)]
    [InlineData(15, 0, -1)]
    public void Three_channel_int16_blocks_land_at_column_times_three_plus_channel(int width, int shift, int mask)
    {
        var stride = width + 5;
        var random = new Random(width * 10 + shift);
        var source = Enumerable.Range(0, 3 * stride).Select(i => (i % 7) switch
        {
            0 => -32768,
            1 => 32767,
            _ => random.Next(-32768, 32768),
        }).ToArray();
        var destination = new short[width * 3 + 3];
        Array.Fill(destination, (short)12345);

        var done = PixelTranspose.Columns16Of3(source, stride, width, destination, shift, mask);

        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512BW.IsSupported ? width / 16 * 16 : 0, done);
        for (var c = 0; c < width; c++)
        {
            for (var ci = 0; ci < 3; ci++)
            {
                var expected = c < done ? (short)((source[ci * stride + c] >> shift) & mask) : (short)12345;
                Assert.Equal(expected, destination[c * 3 + ci]);
            }
        }
        Assert.All(destination[(width * 3)..], v => Assert.Equal(12345, v));
    }

    [Theory]
    [InlineData(4, 4)]
    [InlineData(12, 11)]
    [InlineData(64, 16)]
    public void Int32_blocks_land_at_column_times_channels_plus_channel(int cin, int width)
    {
        var stride = width + 3;
        var random = new Random(cin * 100 + width);
        var source = Enumerable.Range(0, cin * stride).Select(_ => random.Next(int.MinValue, int.MaxValue)).ToArray();
        var destination = new int[width * cin + 3];
        Array.Fill(destination, 777);

        var done = PixelTranspose.Columns32(source, stride, cin, width, destination);

        Assert.Equal(PixelTranspose.IsSupported ? width / 4 * 4 : 0, done);
        for (var c = 0; c < width; c++)
        {
            for (var ci = 0; ci < cin; ci++)
            {
                Assert.Equal(c < done ? source[ci * stride + c] : 777, destination[c * cin + ci]);
            }
        }
        Assert.All(destination[(width * cin)..], v => Assert.Equal(777, v));
    }

    [Theory]
    [InlineData(6, 8)]
    [InlineData(8, 7)]
    public void Channel_counts_or_widths_that_fill_no_block_are_left_to_the_caller(int cin, int width)
    {
        var destination = new short[cin * width];

        Assert.Equal(0, PixelTranspose.Columns16(new int[cin * width], width, cin, width, destination, 0, -1));
        Assert.Equal(0, PixelTranspose.Columns32(new int[cin * width], width, cin, width - 4, new int[cin * width]));
    }
}
