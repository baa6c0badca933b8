"""SkiLL: find the same or similar product design across colours.

Data flows one way: images -> transforms -> encoder -> embeddings -> index / projection -> app.
Heavy optional dependencies (faiss, umap, streamlit) are imported inside the functions that
need them, so ``import skill`` stays fast.
"""

__version__ = "0.1.0"
