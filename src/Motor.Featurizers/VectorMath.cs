namespace Motor.Featurizers;

internal static class VectorMath
{
    /// <summary>Scales to unit length; a zero vector stays zero.</summary>
    public static void L2NormalizeInPlace(Span<float> vector)
    {
        double sum = 0;
        foreach (float value in vector)
        {
            sum += (double)value * value;
        }

        if (sum == 0)
        {
            return;
        }

        float scale = (float)(1.0 / Math.Sqrt(sum));
        for (int index = 0; index < vector.Length; index++)
        {
            vector[index] *= scale;
        }
    }
}
