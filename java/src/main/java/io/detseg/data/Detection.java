package io.detseg.data;

/** One detected object in original-image pixels: (x, y) is the top-left corner. */
public record Detection(double x, double y, double width, double height, double score, String label) {}
