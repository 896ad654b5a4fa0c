"""report.pdf as a reader sees it: its pages rendered to pixels with pypdfium2 (a pip install, so these
checks run on any machine), and the check that nothing is drawn in a page's outer margin."""

import numpy as np
import pypdfium2 as pdfium

DPI = 60
BAND = 0.5 / 2.54  # inches of outer margin that must stay blank (the page's margin is 1.8 cm, the footer 1 cm up)


def pages(pdf_path):
    """Each page as an RGB array at DPI, and its text."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [(page.render(scale=DPI / 72).to_numpy()[..., :3], page.get_textpage().get_text_range()) for page in pdf]
    finally:
        pdf.close()


def assert_inside_the_page(pdf_path):
    band = int(np.ceil(BAND * DPI))
    for number, (image, _) in enumerate(pages(pdf_path), start=1):
        assert image.std() > 3, f"page {number} is blank"
        for side, strip in {"top": image[:band], "bottom": image[-band:], "left": image[:, :band], "right": image[:, -band:]}.items():
            assert strip.min() >= 250, f"page {number}: ink in the {side} margin"
